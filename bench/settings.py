"""Settings for the benchmark: the project's, plus a ceiling route and high throttles.

Only bench/run.py uses this module (DJANGO_SETTINGS_MODULE=bench.settings);
everything else, the middleware, logging and database options included, is
the production configuration.
"""

from project.settings import *  # noqa: F403
from project.settings import REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"

# The load comes from one address and a few usernames: production rates
# would turn most requests into 429s and measure the throttle, not the view.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(
        REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min"
    ),
}
