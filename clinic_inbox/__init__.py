"""Clinic Inbox: secure patient messaging for medical clinics."""

__version__ = "0.1.0"
APP_NAME = "clinic-inbox"
