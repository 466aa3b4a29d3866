"""The letter's legal wording, verbatim: one place, found by grepping the document number.

Letters are stored with their SHA-256 and re-rendered letters must match, so not one byte here
may change (tests/test_pdf.py).
"""

from __future__ import annotations

#: The document whose 附件 is the form. Only Shandong's notice carries one; Jiangsu (实施方案
#: 三（一）书面承诺) and Inner Mongolia ask for a written commitment without a form, so their
#: employers sign this one (DOMAIN.md §9 reading), and the page says so.
FORM_DOCUMENT = "鲁医保发〔2022〕21号"

#: Title of the letter, 鲁医保发〔2022〕21号 附件.
COMMITMENT_TITLE = "缓缴职工医保单位缴费承诺书"

#: Body of the letter, verbatim from 鲁医保发〔2022〕21号 附件 (DOMAIN.md §9). Always Chinese.
COMMITMENT_TEXT = (
    "我单位承诺：单位划型符合《关于印发中小企业划型标准规定的通知》"
    "（工信部联企业〔2011〕300号）规定的中小微企业，申请缓缴职工医保单位缴费的信息真实有效，"
    "承诺缓缴期间依法履行好职工个人应缴纳部分代扣代缴义务，并于缓缴期满后依法完成职工医保单位缴费，"
    "如有不实，愿意按照《中华人民共和国劳动法》和《中华人民共和国社会保险法》等有关规定承担相应责任，"
    "并补缴缓缴的职工医保单位缴费本金和滞纳金。若提供虚假信息，一切后果由我单位承担。"
)
