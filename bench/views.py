"""The bare DRF view the benchmark compares GET /user/profile with."""

from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication


class CeilingView(APIView):
    """Return the caller's username: stock SimpleJWT authentication, one query."""

    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"username": request.user.username})
