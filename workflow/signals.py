from django.dispatch import Signal

# Sent after the transaction of a transition has committed (never inside it):
# sender=the document model; document_type, document_id, action, event_id.
transition_committed = Signal()
