"""The product's rules: participants, conversations, invitations and sessions, agent
sign-in, the relay of session events through the sanitizer, and the time-driven reaper.

Above the storage layer (cobrowse/storage), below the transport (cobrowse/transport).
"""
