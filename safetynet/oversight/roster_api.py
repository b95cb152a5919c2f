"""The API of oversight's roster part."""
from ninja import Router

router = Router()
