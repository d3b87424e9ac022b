"""The complaint knowledge base (投诉知识库): a closed complaint written up as a draft article."""

from __future__ import annotations

from kefu.domain.article_values import ArticleContent, Visibility
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_lifecycle import ComplaintStatus
from kefu.domain.complaint_values import ProposalOutcome
from kefu.domain.errors import RuleViolated

SETTLED = frozenset({ComplaintStatus.CLOSED, ComplaintStatus.ARCHIVED})


def complaint_content(complaint: Complaint, title: str, language: str) -> ArticleContent:
    """An internal draft saying what the complaint was, its cause and the resolution that the
    customer accepted; refused while the complaint is not closed (its outcome is not known)."""
    if complaint.status not in SETTLED:
        raise RuleViolated(
            f"only a closed complaint becomes an article; this one is {complaint.status}"
        )
    return ArticleContent(
        title=title,
        body="\n\n".join(_sections(complaint)),
        category=f"complaints/{complaint.complaint_type}",
        tags=tuple(
            dict.fromkeys(t for t in (str(complaint.complaint_type), complaint.department) if t)
        ),
        language=language,
        visibility=Visibility.INTERNAL,
    )


def _sections(complaint: Complaint) -> list[str]:
    sections = [f"## 问题 Problem\n\n{complaint.description}"]
    if complaint.expectation:
        sections.append(f"## 客户期望 Expectation\n\n{complaint.expectation}")
    if complaint.department or complaint.cause:
        cause = complaint.cause or complaint.complaint_type
        sections.append(f"## 原因 Cause\n\n{cause} ({complaint.department or 'no department'})")
    accepted = [p for p in complaint.proposals if p.outcome is ProposalOutcome.ACCEPTED]
    for proposal in accepted[-1:]:
        remedies = ", ".join(str(r.kind) for r in proposal.remedies)
        sections.append(f"## 解决方案 Resolution\n\n{remedies}. {proposal.note}".rstrip())
    return sections
