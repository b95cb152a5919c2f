"""The API of oversight's audit part."""
from ninja import Router

router = Router()
