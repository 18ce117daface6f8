"""Django settings. The database comes from ``FUPIN_DB`` (the CLI's ``--db`` sets it)."""

from __future__ import annotations

import os
from pathlib import Path

from fupin.site.dburl import current_url, to_django

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("FUPIN_SECRET_KEY", "fupin-development-key-change-me-in-production-0123456789")
DEBUG = os.environ.get("FUPIN_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("FUPIN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "fupin.accounts",
    "fupin.registry",
    "fupin.assessments",
    "fupin.monitoring",
    "fupin.supervision",
    "fupin.assistance",
    "django_htmx",
    "fupin.web",
    "ninja",
    "fupin.jobs",
    "fupin.api",
]

# Every uploaded body is bounded while it arrives (fupin.web.uploads), not after it was saved.
FILE_UPLOAD_HANDLERS = ["fupin.web.uploads.BoundedUploadHandler"]
FUPIN_MAX_UPLOAD_BYTES = int(os.environ.get("FUPIN_MAX_UPLOAD_MB", "512")) * 1024 * 1024

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "fupin.web.middleware.RequestHygieneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "fupin.site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fupin.web.context_processors.navigation",
            ]
        },
    }
]
WSGI_APPLICATION = "fupin.site.wsgi.application"

DATABASES = {"default": to_django(current_url())}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Every login path (the workbench's form, the admin's) is throttled per account and address.
AUTHENTICATION_BACKENDS = ["fupin.accounts.backends.ThrottledModelBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("FUPIN_STATIC_ROOT", str(Path.cwd() / "fupin-static"))

SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Behind an HTTPS proxy (FUPIN_HTTPS=1): cookies only over HTTPS, HSTS for a year, plain HTTP
# redirected, and the proxy's X-Forwarded-Proto trusted to say the request came in over HTTPS.
# Without it (a laptop, a village office on HTTP) the cookies must work over HTTP.
SERVED_OVER_HTTPS = os.environ.get("FUPIN_HTTPS", "") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SERVED_OVER_HTTPS
if SERVED_OVER_HTTPS:
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FUPIN_LOG_LEVEL", "WARNING")},
}
