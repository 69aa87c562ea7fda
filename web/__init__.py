"""The web skin: the HTTP API and the pages a journalist or an auditor reads."""
