"""The words people read for the portal's codes, in one package, registered once.

- ``codes``: names of stored codes (sizes, sources, roles, audit actions, statuses, indicators,
  unit kinds, industries) and the classification explained check by check;
- ``standing``: what the pages say about an employer's standing (reasons, next step, choices);
- ``errors``: one message per domain-error code, and one way to put it on a form.

Figures and clauses in a message come from the policy files, never from a literal here.
"""

from __future__ import annotations

from portal.labels.codes import (
    action_label,
    amount_source_label,
    capacity_label,
    deferred_part_label,
    explanation,
    fact_label,
    fact_value,
    import_kind_label,
    import_status_label,
    indicator_in_sentence,
    indicator_label,
    indicator_unit,
    industry_ground_label,
    industry_name,
    is_english,
    letter_kind_label,
    letter_status_label,
    level_label,
    off_list_label,
    operator_label,
    outbox_kind_label,
    outbox_status_label,
    payment_part_label,
    payment_queue_kind_label,
    percent,
    program_name,
    role_label,
    route_label,
    size_label,
    source_label,
    status_label,
    unit_kind_choices,
    unit_kind_name,
)
from portal.labels.errors import error_message, put_error
from portal.labels.held import (
    confirmation_label,
    held_column_label,
    held_effect_text,
    held_status_label,
    held_value_label,
)
from portal.labels.standing import deferral_2020_notice

__all__ = [
    "action_label",
    "amount_source_label",
    "capacity_label",
    "confirmation_label",
    "error_message",
    "deferral_2020_notice",
    "deferred_part_label",
    "explanation",
    "held_column_label",
    "held_effect_text",
    "held_status_label",
    "held_value_label",
    "fact_label",
    "fact_value",
    "import_kind_label",
    "import_status_label",
    "indicator_in_sentence",
    "indicator_label",
    "indicator_unit",
    "industry_ground_label",
    "industry_name",
    "is_english",
    "letter_kind_label",
    "letter_status_label",
    "level_label",
    "off_list_label",
    "operator_label",
    "outbox_kind_label",
    "outbox_status_label",
    "payment_part_label",
    "payment_queue_kind_label",
    "percent",
    "program_name",
    "put_error",
    "role_label",
    "route_label",
    "size_label",
    "source_label",
    "status_label",
    "template_filters",
    "template_globals",
    "unit_kind_choices",
    "unit_kind_name",
]


def template_globals() -> dict:
    """Every label function templates call, registered once for the whole app."""
    from portal.rules import provisional_settlement

    return {
        # 多退少补 of a provisional 2020 class (鲁医保发〔2020〕23号 三), for the application pages.
        "provisional_settlement": provisional_settlement,
        "size_label": size_label,
        "source_label": source_label,
        "role_label": role_label,
        "action_label": action_label,
        "capacity_label": capacity_label,
        "level_label": level_label,
        "status_label": status_label,
        "letter_status_label": letter_status_label,
        "letter_kind_label": letter_kind_label,
        "industry_name": industry_name,
        "route_label": route_label,
        "industry_ground_label": industry_ground_label,
        "unit_kind_name": unit_kind_name,
        "indicator_label": indicator_label,
        "indicator_unit": indicator_unit,
        "amount_source_label": amount_source_label,
        "percent": percent,
        "import_kind_label": import_kind_label,
        "payment_part_label": payment_part_label,
        "payment_queue_kind_label": payment_queue_kind_label,
        "fact_label": fact_label,
        "fact_value": fact_value,
        "deferred_part_label": deferred_part_label,
        "program_name": program_name,
        "import_status_label": import_status_label,
        "outbox_kind_label": outbox_kind_label,
        "outbox_status_label": outbox_status_label,
        "deferral_2020_notice": deferral_2020_notice,
        "off_list_label": off_list_label,
        "held_column_label": held_column_label,
        "held_value_label": held_value_label,
        "held_effect_text": held_effect_text,
        "held_status_label": held_status_label,
        "confirmation_label": confirmation_label,
    }


def template_filters() -> dict:
    """The same functions as filters where templates map over codes."""
    return {
        "indicator_label": indicator_label,
        "indicator_in_sentence": indicator_in_sentence,
        "operator_label": operator_label,
        "percent": percent,
    }
