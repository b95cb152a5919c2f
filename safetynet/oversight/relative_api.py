"""The API of oversight's relative part."""
from ninja import Router

router = Router()
