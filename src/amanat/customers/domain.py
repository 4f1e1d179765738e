"""The customers domain: the customer record and its personal fields."""

from __future__ import annotations

from amanat.customers import models
from amanat.customers.service import reapply_erasure, subject_profile
from amanat.registration import Domain

DOMAIN = Domain(
    name="customers",
    models=models,
    erasure_hooks=(reapply_erasure,),
    subject_records=(subject_profile,),
)
