"""Notifications: e-mail (SMTP) and signed webhooks through a transactional outbox.

A notification is written in the same transaction as the change that causes it
(:func:`vigile.notify.service.enqueue`), then delivered by the background sender
(:mod:`vigile.notify.sender`) with retries and exponential backoff.
"""
