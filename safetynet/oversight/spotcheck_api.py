"""The API of oversight's spotcheck part."""
from ninja import Router

router = Router()
