"""The API of oversight's complaint part."""
from ninja import Router

router = Router()
