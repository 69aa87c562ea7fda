"""Server-rendered pages over `provenance.Archive`: documents, versions, compare, identify, blame, audit."""

from fastapi import APIRouter

router = APIRouter()
