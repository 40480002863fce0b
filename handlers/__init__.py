"""What kpps-bot does, with no knowledge of any chat platform.

Channel adapters in ``bot.channels`` turn platform updates into
:class:`handlers.messages.Incoming` and render :class:`handlers.messages.Reply`.
"""
