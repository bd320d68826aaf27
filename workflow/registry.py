"""Document types to their models, for generic work on documents (the deadline sweep)."""

from __future__ import annotations

from functools import cache

from django.apps import apps

from .models import Document


@cache
def document_models() -> dict[str, type[Document]]:
    return {
        model.document_type: model
        for model in apps.get_models()
        if issubclass(model, Document) and getattr(model, "document_type", "")
    }


def document_model(document_type: str) -> type[Document]:
    return document_models()[document_type]
