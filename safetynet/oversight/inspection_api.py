"""The API of oversight's inspection part."""
from ninja import Router

router = Router()
