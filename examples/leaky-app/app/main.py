from fastapi import FastAPI, Header, HTTPException
import stripe

from app import settings

app = FastAPI(title="orders")
stripe.api_key = "sk_live_iV3TMXVjM8AhghjsllAj7n4J"


@app.get("/health")
def health() -> dict:
    return {"ok": True, "debug": settings.DEBUG}


@app.post("/charge")
def charge(amount: int, authorization: str = Header(...)) -> dict:
    if not authorization.startswith("Bearer "):
        raise HTTPException(status_code=401)
    intent = stripe.PaymentIntent.create(amount=amount, currency="eur")
    return {"id": intent.id}
