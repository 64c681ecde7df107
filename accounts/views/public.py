from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class PublicAPIView(APIView):
    """A view anyone may call, whose 401s still name the Bearer scheme.

    With no authentication classes DRF would turn a 401 into a 403; the
    contract wants 401 with `WWW-Authenticate: Bearer realm="api"`.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'
