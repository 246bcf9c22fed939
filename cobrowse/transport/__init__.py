"""The wire rules of the long-poll protocol: applying a send exactly once (sequence numbers,
claims, the stored answer) and answering a poll (cursors, parking, release by a newer poll).

Called by the web layer (cobrowse/web); calls the rules (cobrowse/rules) and storage.
"""
