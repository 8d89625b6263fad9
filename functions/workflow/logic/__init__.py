"""Domain logic of the workflow: pure Python, no AWS."""
