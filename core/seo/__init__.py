"""SEO: page audits that agree with Lighthouse (``core.seo.audit``), site crawls and reports.

    from core.seo import audit_url, page_audit_to_dict
    audit = audit_url("https://shop.example/")
    audit.score, [a.id for a in audit.failed]
"""

from core.seo.audit import (PageAudit, audit_response, audit_url, audit_url_async,
                            fetch_robots)
from core.seo.audits.base import AuditResult
from core.seo.page import RobotsFile
from core.seo.serialize import page_audit_from_dict, page_audit_to_dict

__all__ = ["AuditResult", "PageAudit", "RobotsFile", "audit_response", "audit_url",
           "audit_url_async", "fetch_robots", "page_audit_from_dict", "page_audit_to_dict"]
