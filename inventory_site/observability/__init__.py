"""Monitoring: request ids in logs, Prometheus metrics, Celery task statistics."""
