"""Every table of Vigile, gathered so that migrations and tests see the whole schema."""

from __future__ import annotations

from types import ModuleType

from vigile.alerts import models as alert_models
from vigile.assets import models as asset_models
from vigile.audit import models as audit_models
from vigile.auth import models as auth_models
from vigile.committees import models as committee_models
from vigile.csirt import models as csirt_models
from vigile.db import Base
from vigile.incidents import models as incident_models
from vigile.ingest import models as ingest_models
from vigile.notify import models as notify_models
from vigile.referents import models as referent_models
from vigile.rules import models as rule_models
from vigile.sources import models as source_models
from vigile.tenants import contract_models
from vigile.tenants import models as tenant_models

TABLE_MODULES: tuple[ModuleType, ...] = (tenant_models, auth_models, audit_models)
TABLE_MODULES = (*TABLE_MODULES, alert_models, ingest_models)
TABLE_MODULES = (*TABLE_MODULES, rule_models, source_models)
TABLE_MODULES = (*TABLE_MODULES, committee_models)
TABLE_MODULES = (*TABLE_MODULES, contract_models, asset_models, csirt_models)
TABLE_MODULES = (*TABLE_MODULES, referent_models, notify_models, incident_models)
metadata = Base.metadata
