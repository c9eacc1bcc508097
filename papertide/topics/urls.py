from django.urls import path

from papertide.topics import views

urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("map/points.bin", views.map_points, name="map-points"),
    path("map/mine.json", views.map_mine, name="map-mine"),
    path("map/papers/<int:paper_id>.json", views.map_paper, name="map-paper"),
]
