"""The project's routes plus /bench/ceiling, the stack's cost with no work of ours."""

from django.urls import path

from bench.views import CeilingView
from project.urls import *  # noqa: F403
from project.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("bench/ceiling", CeilingView.as_view()), *project_urlpatterns]
