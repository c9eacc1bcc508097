from django.urls import path

import papertide.converters  # noqa: F401  (registers arxiv_id, isodate, isoweek and month)
from papertide.web import views
from papertide.web.feeds import AuthorFeed, CategoryFeed, DailyFeed, SearchFeed, TrendingFeed, atom

urlpatterns = [
    path("", views.latest_day, name="home"),
    path("day/<isodate:period>/", views.feed, name="day"),
    path("week/<isoweek:period>/", views.feed, name="week"),
    path("month/<month:period>/", views.feed, name="month"),
    path("papers/<arxiv_id:arxiv_id>/", views.paper_detail, name="paper"),
    path("papers/<arxiv_id:arxiv_id>/upvote/", views.upvote, name="upvote"),
    path("filter/", views.remember_filter, name="remember-filter"),
    path("submit/", views.submit, name="submit"),
    path("submit/<int:job_id>/", views.submission, name="submission"),
    path("search/", views.search, name="search"),
    path("authors/<path:name>/", views.author_papers, name="author"),
    path("feeds/daily.rss", DailyFeed(), name="feed-daily"),
    path("feeds/daily.atom", atom(DailyFeed)(), name="feed-daily-atom"),
    path("feeds/trending.rss", TrendingFeed(), name="feed-trending"),
    path("feeds/trending.atom", atom(TrendingFeed)(), name="feed-trending-atom"),
    path("feeds/search.rss", SearchFeed(), name="feed-search"),
    path("feeds/search.atom", atom(SearchFeed)(), name="feed-search-atom"),
    path("feeds/author/<path:name>.rss", AuthorFeed(), name="feed-author"),
    path("feeds/author/<path:name>.atom", atom(AuthorFeed)(), name="feed-author-atom"),
    path("feeds/category/<str:category>.rss", CategoryFeed(), name="feed-category"),
    path("feeds/category/<str:category>.atom", atom(CategoryFeed)(), name="feed-category-atom"),
]
