"""The flows layer: the pipelines that answer a request — a change (delta → rules → money), a renewal, a
qualification — and the plain result record they return. Calls the layers below in one direction; never formats
output."""
