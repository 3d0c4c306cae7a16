"""The emulator's endpoint handlers, one module per API area; each registers handlers by operationId."""
