"""Agents (workers): registration, heartbeats, who is alive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, select, update

from ..domain.enums import AgentStatus, AgentType, EventKind
from ..domain.errors import NotFound
from ..domain.models import AgentView
from ..domain.rules import stored_word
from ..store.tables import Agent
from .base import ServiceContext, record_event

A = Agent.__table__.c


def agent_view(r: Row, now: datetime) -> AgentView:
    age = (now - r.last_heartbeat).total_seconds() if r.last_heartbeat else None
    return AgentView(
        name=r.name,
        agent_type=stored_word(AgentType, r.agent_type),
        capabilities=list(r.capabilities or []),
        status=AgentStatus(r.status),
        last_heartbeat=r.last_heartbeat,
        heartbeat_age_seconds=age,
    )


class AgentService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def register(
        self,
        name: str,
        agent_type: AgentType = AgentType.CODING,
        capabilities: list[str] | None = None,
    ) -> AgentView:
        """Create or refresh an agent; idempotent."""
        now = self.ctx.now()
        values = {
            "agent_type": agent_type.value,
            "capabilities": capabilities or [],
            "status": AgentStatus.ACTIVE.value,
            "last_heartbeat": now,
        }
        with self.ctx.db.write() as conn:
            if conn.execute(select(A.id).where(A.name == name)).first():
                conn.execute(update(Agent.__table__).where(A.name == name).values(values))
            else:
                conn.execute(
                    Agent.__table__.insert().values(name=name, registered_at=now, **values)
                )
                record_event(
                    conn,
                    self.ctx,
                    EventKind.AGENT_REGISTERED,
                    None,
                    {"agent": name, "type": agent_type.value},
                )
            row = conn.execute(select(Agent.__table__).where(A.name == name)).one()
            return agent_view(row, now)

    def heartbeat(self, name: str, status: AgentStatus = AgentStatus.ACTIVE) -> None:
        with self.ctx.db.write() as conn:
            result = conn.execute(
                update(Agent.__table__)
                .where(A.name == name)
                .values(last_heartbeat=self.ctx.now(), status=status.value)
            )
            if result.rowcount == 0:
                raise NotFound(f"no agent {name!r}")

    def list(self) -> list[AgentView]:
        now = self.ctx.now()
        with self.ctx.db.read() as conn:
            rows = conn.execute(select(Agent.__table__).order_by(A.name)).all()
        return [agent_view(r, now) for r in rows]
