from channels.generic.websocket import AsyncJsonWebsocketConsumer


class PingConsumer(AsyncJsonWebsocketConsumer):
    """Answers ``{"type": "ping"}`` with ``{"type": "pong", "user": ...}``: proves the WebSocket
    stack (origin check, auth middleware, routing) end to end. Live rooms replace it as the
    real consumer."""

    async def connect(self):
        await self.accept()

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or content.get("type") != "ping":
            await self.send_json({"type": "error", "message": 'Unknown frame type; send {"type": "ping"}.'})
            return
        user = self.scope.get("user")
        await self.send_json({"type": "pong", "user": user.username if user and user.is_authenticated else None})
