"""What a reader may not do, said so that the site and the API can answer it: a message for people and the HTTP
status it maps to. The rules modules (discussion, collections, author claims) raise it."""


class Refused(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
