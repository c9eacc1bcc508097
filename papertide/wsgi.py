import os

from django.core.wsgi import get_wsgi_application

from papertide.web.request_id import with_request_ids

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
application = with_request_ids(get_wsgi_application())
