"""All models, grouped by area. Importing this package registers every table on ``Base.metadata``.
The closed sets their columns hold are the enums of ``vocabularies.py`` (beside ``db/``).

The model modules leave out ``from __future__ import annotations``: with it SQLAlchemy has to
parse and evaluate every column's annotation string, about a tenth of the time this package
takes to import, which every command-line start pays."""

from db.models.accounts import AuditLog, LoginAttempt, User
from db.models.agents import Agent, AgentJob, AgentJobLog, AgentJobStatus, AgentLogStatus
from db.models.base import Base
from db.models.builds import Build, BuildIteration, KnowledgeBaseEntry, ObjectiveEmbedding
from db.models.advisor import (
    AdvisorPdf, ArchitectureQuery, DomainProposal, DomainTask, EvidenceReference, ProviderRun,
    RefinementFeedback, ValidationFinding, ArchitectureProposal,
)
from db.models.budgets import BudgetAlert, BudgetPeriod, CostBudget, InAppNotification
from db.models.costs import (
    COST_UNITS, CostEvent, CostKind, DailyCostSummary, Price, PriceKind, PriceStatus,
)
from db.models.events import (
    EventType, NodeState, NodeType, RunEvent, WorkflowKind, WorkflowNodeState,
)
from db.models.llm import LLMProvider, ModelPrice
from db.models.plans import (
    CreditGrant, CreditPackage, SubscriptionTier, SubscriptionUsageRecord, UserCredit,
    UserSubscription,
)
from db.models.scraping import (ElementSelector, Export, ExtractorSchema, Result, Run, RunResult,
                                ScrapingJob)
from db.models.seo import Backlink, KeywordRanking, KeywordResearch, SeoIgnoredFinding, SeoReport
from db.models.seo_crawls import SeoCrawl, SeoCrawlFinding, SeoCrawlPage

__all__ = [
    "Base", "AdvisorPdf", "User", "LoginAttempt", "AuditLog", "ExtractorSchema", "ScrapingJob", "Run",
    "RunResult", "Result", "Export", "ElementSelector", "RunEvent", "EventType", "WorkflowKind",
    "NodeType",
    "NodeState", "WorkflowNodeState", "CostEvent", "CostKind", "COST_UNITS", "Price", "PriceKind",
    "PriceStatus", "DailyCostSummary", "CostBudget", "BudgetAlert", "BudgetPeriod",
    "InAppNotification", "Build",
    "BuildIteration", "KnowledgeBaseEntry", "ObjectiveEmbedding",
    "SeoReport", "SeoIgnoredFinding", "KeywordResearch", "KeywordRanking", "Backlink",
    "SeoCrawl", "SeoCrawlPage", "SeoCrawlFinding", "LLMProvider", "ModelPrice",
    "ArchitectureQuery", "ProviderRun", "DomainTask", "DomainProposal", "ArchitectureProposal",
    "ValidationFinding", "EvidenceReference", "RefinementFeedback",
    "Agent", "AgentJob", "AgentJobLog", "AgentJobStatus", "AgentLogStatus",
    "SubscriptionTier", "UserSubscription", "SubscriptionUsageRecord", "UserCredit",
    "CreditPackage", "CreditGrant",
]
