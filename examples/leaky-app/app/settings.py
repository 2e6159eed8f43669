"""Settings for the orders service."""
import os

DEBUG = os.getenv("DEBUG", "false") == "true"

# TODO: move to the secret manager before launch
AWS_ACCESS_KEY_ID = "AKIAXYNJ5LVFF6UZCRA3"
AWS_SECRET_ACCESS_KEY = "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"
AWS_REGION = "eu-west-1"

SECRET_KEY = "ZwH6Qqq5X1wUGAJ7Wx98vj*E6^boQ@jQa*JbO0HvrgYegR%DLu"

DATABASE_URL = os.getenv(
    "DATABASE_URL",
    "postgresql+asyncpg://orders:uXFZo2qh20xlReGs@db.prod.internal:5432/orders",
)
REDIS_URL = os.getenv("REDIS_URL", "redis://:${REDIS_PASSWORD}@cache:6379/0")
