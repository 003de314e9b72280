"""Reading a paginated list the way a client does: from the first page, following `next`."""


def follow_pages(api, url, params=None):
    """Return every page's body in order; fail on any page that is not a 200."""
    bodies = []
    while url:
        response = api.get(url, params if not bodies else None)  # `next` carries the parameters
        assert response.status_code == 200, response.json()
        bodies.append(response.json())
        url = bodies[-1]["next"]
    return bodies
