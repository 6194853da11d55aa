"""All models, grouped by area. Importing this package registers every table on ``Base.metadata``."""

from db.models.accounts import ROLES, AuditLog, LoginAttempt, User
from db.models.base import Base
from db.models.builds import (
    BUILD_STATUSES, Build, BuildIteration, KnowledgeBaseEntry, ObjectiveEmbedding,
)
from db.models.costs import CostEvent
from db.models.events import EVENT_TYPES, RunEvent
from db.models.llm import TEST_STATUSES, LLMProvider, ModelPrice
from db.models.scraping import (
    EXPORT_FORMATS, PAGINATION_TYPES, RUN_STATUSES, Export, ExtractorSchema, Result, Run,
    RunResult, ScrapingJob,
)
from db.models.seo import (
    SEO_REPORT_STATUSES, Backlink, KeywordRanking, KeywordResearch, SeoIgnoredFinding, SeoReport,
)
from db.models.seo_crawls import (
    CRAWL_STATUSES, FINDING_SEVERITIES, SeoCrawl, SeoCrawlFinding, SeoCrawlPage,
)

__all__ = [
    "Base", "User", "LoginAttempt", "AuditLog", "ROLES", "ExtractorSchema", "ScrapingJob", "Run",
    "RunResult", "Result", "Export", "RUN_STATUSES", "PAGINATION_TYPES", "EXPORT_FORMATS",
    "RunEvent", "EVENT_TYPES", "CostEvent", "Build", "BuildIteration", "KnowledgeBaseEntry",
    "ObjectiveEmbedding", "BUILD_STATUSES",
    "SeoReport", "SeoIgnoredFinding", "KeywordResearch", "KeywordRanking", "Backlink",
    "SEO_REPORT_STATUSES",
    "SeoCrawl", "SeoCrawlPage", "SeoCrawlFinding", "CRAWL_STATUSES", "FINDING_SEVERITIES",
    "LLMProvider", "ModelPrice", "TEST_STATUSES",
]
