from django.urls import path

from .views import review

urlpatterns = [
    path("reviews/", review.reviews, name="reviews"),
    path("reviews/<int:pk>/", review.review_detail, name="review-detail"),
]
