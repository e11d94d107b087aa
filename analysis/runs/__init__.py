"""Running worlds: sweep specs and designs, plans, chunked execution on executors, the store, progress and result sets."""
