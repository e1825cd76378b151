"""Running the server: backups, housekeeping (requeue, retention) and monitoring."""
