"""The service API is declared once (``modelreg.api_contract``) and the services keep to it."""

from __future__ import annotations

import inspect

import pytest

from modelreg.api.operations import OPERATIONS
from modelreg.api_contract import PROTOCOLS
from modelreg.services.access import AccessService
from modelreg.services.artifacts import ArtifactService
from modelreg.services.governance import GovernanceService
from modelreg.services.imports import ImportService
from modelreg.services.logged_models import LoggedModelService
from modelreg.services.protections import ProtectionService
from modelreg.services.registry import RegistryService
from modelreg.services.tracking import TrackingService

SERVICES = {
    "tracking": TrackingService,
    "registry": RegistryService,
    "governance": GovernanceService,
    "protections": ProtectionService,
    "access": AccessService,
    "artifacts": ArtifactService,
    "logged_models": LoggedModelService,
    "imports": ImportService,
}


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_each_operation_has_the_declared_signature_in_its_service(op):
    declared = inspect.signature(getattr(PROTOCOLS[op.service], op.name))
    implemented = inspect.signature(getattr(SERVICES[op.service], op.name))

    assert implemented == declared


def test_the_contract_declares_only_the_operations():
    declared = {
        (service, name)
        for service, protocol in PROTOCOLS.items()
        for name in vars(protocol)
        if not name.startswith("_")
    }

    assert declared == {(op.service, op.name) for op in OPERATIONS}
