"""The emulator's endpoint handlers, one module per API area; importing this package registers them all."""

from conformance.emulator.endpoints import (  # noqa: F401  (imported for their @handles registrations)
    assistants,
    audio,
    batches,
    chat,
    completions,
    embeddings,
    files,
    fine_tuning,
    generic,
    images,
    models,
    moderations,
    responses,
    runs,
    thread_store,
    threads,
    uploads,
    vector_stores,
)
