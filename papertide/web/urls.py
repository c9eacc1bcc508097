from django.urls import path

import papertide.converters  # noqa: F401  (registers arxiv_id and isodate)
from papertide.web import views
from papertide.web.feeds import AuthorFeed, CategoryFeed, DailyFeed, SearchFeed, TrendingFeed, atom

urlpatterns = [
    path("", views.daily_feed, name="home"),
    path("day/<isodate:day>/", views.daily_feed, name="day"),
    path("papers/<arxiv_id:arxiv_id>/", views.paper_detail, name="paper"),
    path("search/", views.search, name="search"),
    path("authors/<str:name>/", views.author_papers, name="author"),
    path("feeds/daily.rss", DailyFeed(), name="feed-daily"),
    path("feeds/daily.atom", atom(DailyFeed)(), name="feed-daily-atom"),
    path("feeds/trending.rss", TrendingFeed(), name="feed-trending"),
    path("feeds/trending.atom", atom(TrendingFeed)(), name="feed-trending-atom"),
    path("feeds/search.rss", SearchFeed(), name="feed-search"),
    path("feeds/search.atom", atom(SearchFeed)(), name="feed-search-atom"),
    path("feeds/author/<str:name>.rss", AuthorFeed(), name="feed-author"),
    path("feeds/author/<str:name>.atom", atom(AuthorFeed)(), name="feed-author-atom"),
    path("feeds/category/<str:category>.rss", CategoryFeed(), name="feed-category"),
    path("feeds/category/<str:category>.atom", atom(CategoryFeed)(), name="feed-category-atom"),
]
