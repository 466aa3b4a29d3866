"""All models, importable from one place (Alembic and the app load them from here)."""

from portal.models import facts_version
from portal.models.api import ApiClient, ApiGrant, TaxListChange
from portal.models.applications import (
    CommitmentApplication,
    EvidenceFile,
    StoredLetter,
    UploadedFile,
    UploadedFileChunk,
)
from portal.models.audit import AuditEntry, RateLimitWindow
from portal.models.base import Base
from portal.models.contributions import (
    Assessment,
    Collection,
    Departure,
    Payment,
    PaymentQueueResolution,
    PersonAssessment,
)
from portal.models.employers import (
    DeferralDecision,
    Employer,
    EmployerFactHistory,
    Membership,
)
from portal.models.geography import Agency, FundReserve, PoolingRegion, RegionRate
from portal.models.hall import ActingSession, PaperSignature, ServiceHall
from portal.models.imports import HeldChange, ImportRecord
from portal.models.jobs import Job, JobFileChunk
from portal.models.reductions import ReturnChoice, ReturnDone
from portal.models.reminders import OutboxMessage
from portal.models.reports import (
    SentMonthlyReport,
    TaxListExport,
    TaxListExportChunk,
    TaxListExportRow,
)
from portal.models.submissions import Submission
from portal.models.users import ActivationCode, User

facts_version.attach(Base.metadata.tables)

__all__ = [
    "ActingSession",
    "ActivationCode",
    "ApiClient",
    "ApiGrant",
    "Agency",
    "Assessment",
    "AuditEntry",
    "Base",
    "Collection",
    "CommitmentApplication",
    "DeferralDecision",
    "Departure",
    "Employer",
    "EmployerFactHistory",
    "EvidenceFile",
    "FundReserve",
    "HeldChange",
    "ImportRecord",
    "Job",
    "JobFileChunk",
    "Membership",
    "OutboxMessage",
    "PaperSignature",
    "Payment",
    "PaymentQueueResolution",
    "PersonAssessment",
    "PoolingRegion",
    "RateLimitWindow",
    "RegionRate",
    "ReturnChoice",
    "ReturnDone",
    "SentMonthlyReport",
    "ServiceHall",
    "StoredLetter",
    "Submission",
    "TaxListExport",
    "TaxListExportChunk",
    "TaxListChange",
    "TaxListExportRow",
    "UploadedFile",
    "UploadedFileChunk",
    "User",
]
