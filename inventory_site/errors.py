"""The base of every app's domain errors: a stable code, a sentence a person can act on, the
fields involved, and the HTTP status the API answers with. Apps subclass it (inventory.errors,
...); the REST kit (inventory_site.api.errors) turns any of them into the one error body
without knowing the apps."""


class DomainError(Exception):
    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, **fields):
        super().__init__(message)
        self.message = message
        self.fields = fields

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}
