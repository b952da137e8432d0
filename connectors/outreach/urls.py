"""Staff-facing Outreach views (OAuth connect and callback)."""

app_name = "outreach"
urlpatterns = []
