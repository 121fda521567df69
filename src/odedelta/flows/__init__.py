"""The flows layer: the one pipeline that answers every request (delta → rules → money; a renewal is a request
kind of it), the qualification, and the values they return (a result or a refusal). Calls the layers below in one
direction; never formats output."""
