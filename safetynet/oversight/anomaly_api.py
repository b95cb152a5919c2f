"""The API of oversight's anomaly part."""
from ninja import Router

router = Router()
