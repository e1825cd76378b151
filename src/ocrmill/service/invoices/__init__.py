"""The invoice API's rules: invoice jobs and pages, their list queries and JSON schema."""
