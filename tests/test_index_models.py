"""Model facts: fields, relations and their targets across files and apps, reverse accessors,
abstract bases, the user model, managers and app labels."""

from __future__ import annotations

from djvet.index import UNKNOWN, build_index
from djvet.index.facts import FieldFact, ManagerFact

MANAGE_PY = """
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
"""

CATALOG = {
    "manage.py": MANAGE_PY,
    "config/__init__.py": "",
    "config/settings.py": """
        INSTALLED_APPS = ["django.contrib.auth", "catalog", "orders"]
    """,
    "catalog/__init__.py": "",
    "catalog/models/__init__.py": """
        from .author import Author
        from .book import Book, Tag
    """,
    "catalog/models/author.py": """
        from django.db import models


        class Author(models.Model):
            name = models.CharField(max_length=100)
            mentor = models.ForeignKey("self", null=True, on_delete=models.SET_NULL, related_name="mentees")
    """,
    "catalog/models/book.py": """
        from django.conf import settings
        from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
        from django.contrib.contenttypes.models import ContentType
        from django.db import models

        from .author import Author


        class Tag(models.Model):
            label = models.SlugField()
            content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
            object_id = models.PositiveIntegerField()
            content_object = GenericForeignKey("content_type", "object_id")


        class Book(models.Model):
            title = models.CharField(max_length=200)
            author = models.ForeignKey(Author, on_delete=models.CASCADE)
            editor = models.ForeignKey("Author", null=True, on_delete=models.SET_NULL, related_name="edited")
            cover = models.OneToOneField("catalog.Cover", on_delete=models.CASCADE)
            co_authors = models.ManyToManyField(to="catalog.Author", related_name="+")
            tags = GenericRelation(Tag)
            owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


        class Cover(models.Model):
            image = models.ImageField()
    """,
    "orders/__init__.py": "",
    "orders/models.py": """
        from django.db import models

        from catalog.models import Book


        class Order(models.Model):
            book = models.ForeignKey(Book, on_delete=models.PROTECT)
            gift_for = models.ForeignKey("catalog.Author", blank=True, on_delete=models.CASCADE)
    """,
}


def _relations(model) -> dict[str, tuple[str, str | None, str | None]]:
    return {name: (f.relation, f.target, f.related_name) for name, f in model.fields.items() if f.relation}


def test_fields_have_their_class_relation_kind_and_target(make_project):
    index = build_index(make_project(CATALOG))
    book = index.models["catalog.models.book.Book"]
    assert list(book.fields) == ["title", "author", "editor", "cover", "co_authors", "tags", "owner"]
    assert book.fields["title"] == FieldFact(
        name="title",
        field_class="django.db.models.CharField",
        line=17,
        model="catalog.models.book.Book",
        options={"max_length": 200},
    )
    assert {n: f.field_class for n, f in book.fields.items()} == {
        "title": "django.db.models.CharField",
        "author": "django.db.models.ForeignKey",
        "editor": "django.db.models.ForeignKey",
        "cover": "django.db.models.OneToOneField",
        "co_authors": "django.db.models.ManyToManyField",
        "tags": "django.contrib.contenttypes.fields.GenericRelation",
        "owner": "django.db.models.ForeignKey",
    }
    assert _relations(book) == {
        "author": ("fk", "catalog.models.author.Author", None),
        "editor": ("fk", "catalog.models.author.Author", "edited"),
        "cover": ("o2o", "catalog.models.book.Cover", None),
        "co_authors": ("m2m", "catalog.models.author.Author", "+"),
        "tags": ("generic-relation", "catalog.models.book.Tag", None),
        "owner": ("fk", "django.contrib.auth.models.User", None),
    }
    assert book.fields["editor"].null is True
    assert book.fields["editor"].options == {"null": True, "related_name": "edited"}
    assert book.fields["author"].null is False


def test_generic_foreign_key_and_django_model_targets(make_project):
    index = build_index(make_project(CATALOG))
    tag = index.models["catalog.models.book.Tag"]
    assert tag.fields["content_object"].relation == "generic-fk"
    assert tag.fields["content_object"].field_class == "django.contrib.contenttypes.fields.GenericForeignKey"
    assert tag.fields["content_object"].target is None
    assert tag.fields["content_type"].target == "django.contrib.contenttypes.models.ContentType"
    assert tag.fields["object_id"].relation is None


def test_self_and_cross_app_targets(make_project):
    index = build_index(make_project(CATALOG))
    author = index.models["catalog.models.author.Author"]
    assert _relations(author) == {"mentor": ("fk", "catalog.models.author.Author", "mentees")}
    order = index.models["orders.models.Order"]
    # `from catalog.models import Book` goes through the package's re-export
    assert _relations(order) == {
        "book": ("fk", "catalog.models.book.Book", None),
        "gift_for": ("fk", "catalog.models.author.Author", None),
    }
    assert order.app_label == "orders"
    assert order.label == "orders.Order"
    assert book_label(index) == "catalog.Book"


def book_label(index) -> str:
    return index.models["catalog.models.book.Book"].label


def test_reverse_accessors(make_project):
    index = build_index(make_project(CATALOG))
    author = index.models["catalog.models.author.Author"]
    book_fields = index.models["catalog.models.book.Book"].fields
    assert dict(author.reverse) == {
        "mentees": author.fields["mentor"],
        "book_set": book_fields["author"],
        "edited": book_fields["editor"],
        "order_set": index.models["orders.models.Order"].fields["gift_for"],
    }
    # related_name="+" has no accessor
    assert all(f.name != "co_authors" for f in author.reverse.values())
    # a one-to-one's default accessor is the lowercased model name
    assert dict(index.models["catalog.models.book.Cover"].reverse) == {"book": book_fields["cover"]}
    assert dict(index.models["catalog.models.book.Book"].reverse) == {
        "order_set": index.models["orders.models.Order"].fields["book"]
    }
    assert dict(index.models["catalog.models.book.Tag"].reverse) == {}


def test_many_to_many_default_accessor(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": """
                    from django.db import models

                    class Label(models.Model):
                        pass

                    class Product(models.Model):
                        labels = models.ManyToManyField(Label)
                """,
            }
        )
    )
    label = index.models["shop.models.Label"]
    assert list(label.reverse) == ["product_set"]
    assert label.reverse["product_set"].relation == "m2m"


def test_auth_user_model_from_settings(make_project):
    files = dict(CATALOG)
    files["config/settings.py"] = """
        INSTALLED_APPS = ["accounts", "catalog", "orders"]
        AUTH_USER_MODEL = "accounts.User"
    """
    files["accounts/__init__.py"] = ""
    files["accounts/models.py"] = """
        from django.contrib.auth.models import AbstractUser
        from django.db import models


        class User(AbstractUser):
            nickname = models.CharField(max_length=30)
    """
    files["orders/models.py"] = """
        from django.contrib.auth import get_user_model
        from django.db import models


        class Order(models.Model):
            buyer = models.ForeignKey(get_user_model(), on_delete=models.CASCADE)
            seller = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    """
    index = build_index(make_project(files))
    assert index.models["catalog.models.book.Book"].fields["owner"].target == "accounts.models.User"
    order = index.models["orders.models.Order"]
    assert order.fields["buyer"].target == "accounts.models.User"
    user = index.models["accounts.models.User"]
    assert set(user.reverse) == {"book_set", "order_set"}


def test_auth_user_model_unset_is_django_user(make_project):
    index = build_index(make_project(CATALOG))
    assert index.settings is not None and "AUTH_USER_MODEL" not in index.settings.values
    assert index.models["catalog.models.book.Book"].fields["owner"].target == "django.contrib.auth.models.User"


def test_auth_user_model_unknown_is_not_guessed(make_project):
    files = dict(CATALOG)
    files["config/settings.py"] = """
        import os
        AUTH_USER_MODEL = os.environ["USER_MODEL"]
    """
    index = build_index(make_project(files))
    assert index.settings.get("AUTH_USER_MODEL") is UNKNOWN
    owner = index.models["catalog.models.book.Book"].fields["owner"]
    assert owner.relation == "fk"
    assert owner.target is None


def test_custom_user_model_inherits_django_fields(make_project):
    index = build_index(
        make_project(
            {
                "accounts/__init__.py": "",
                "accounts/models.py": """
                    from django.contrib.auth.models import AbstractUser
                    from django.db import models


                    class User(AbstractUser):
                        bio = models.TextField(blank=True)
                """,
            }
        )
    )
    user = index.models["accounts.models.User"]
    assert user.bases == ("django.contrib.auth.models.AbstractUser",)
    assert not user.abstract and not user.partial
    for name in ("password", "last_login", "is_superuser", "username", "email", "is_staff", "is_active", "bio"):
        assert name in user.fields, name
    assert list(user.fields)[-1] == "bio"
    assert user.fields["is_staff"].field_class == "django.db.models.BooleanField"
    assert user.fields["is_staff"].model == "django.contrib.auth.models.AbstractUser"
    assert (user.fields["groups"].relation, user.fields["groups"].target) == ("m2m", "django.contrib.auth.models.Group")
    assert user.fields["user_permissions"].target == "django.contrib.auth.models.Permission"
    assert user.fields["bio"].model == "accounts.models.User"


def test_abstract_base_fields_are_inherited_and_related_name_placeholders_filled(make_project):
    index = build_index(
        make_project(
            {
                "blog/__init__.py": "",
                "blog/apps.py": """
                    from django.apps import AppConfig

                    class BlogConfig(AppConfig):
                        name = "blog"
                        label = "journal"
                """,
                "blog/models.py": """
                    from django.db import models


                    class Timestamped(models.Model):
                        created = models.DateTimeField(auto_now_add=True)

                        class Meta:
                            abstract = True


                    class Owned(models.Model):
                        owner = models.ForeignKey("Person", on_delete=models.CASCADE, related_name="%(app_label)s_%(class)s_owned")
                        reviewer = models.ForeignKey("Person", on_delete=models.CASCADE)

                        class Meta:
                            abstract = True


                    class Person(models.Model):
                        name = models.CharField(max_length=50)


                    class Post(Timestamped, Owned):
                        title = models.CharField(max_length=50)


                    class Comment(Owned):
                        text = models.TextField()
                """,
            }
        )
    )
    base = index.models["blog.models.Timestamped"]
    assert base.abstract
    post = index.models["blog.models.Post"]
    assert not post.abstract
    assert set(post.fields) == {"owner", "reviewer", "created", "title"}
    assert post.fields["created"].model == "blog.models.Timestamped"
    assert post.fields["owner"].related_name == "journal_post_owned"
    assert index.models["blog.models.Comment"].fields["owner"].related_name == "journal_comment_owned"
    person = index.models["blog.models.Person"]
    # abstract models create no reverse accessors; each concrete subclass does
    assert set(person.reverse) == {"journal_post_owned", "post_set", "journal_comment_owned", "comment_set"}
    assert person.reverse["post_set"].name == "reviewer"
    # the reverse map names the concrete model whose rows the accessor returns
    assert person.reverse["post_set"].model == "blog.models.Post"
    assert person.reverse["journal_comment_owned"].model == "blog.models.Comment"
    assert person.reverse["journal_comment_owned"].name == "owner"
    assert person.app_label == "journal"
    assert index.app_labels == {"journal": "blog"}
    assert index.model_by_label("journal.post") is post


def test_plain_python_mixin_is_not_a_model(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": """
                    from django.db import models


                    class PriceMixin(object):
                        currency = "EUR"

                        def price_label(self):
                            return self.currency


                    class AuditMixin(models.Model):
                        updated = models.DateTimeField(auto_now=True)

                        class Meta:
                            abstract = True


                    class Product(PriceMixin, AuditMixin):
                        name = models.CharField(max_length=20)
                """,
            }
        )
    )
    assert set(index.models) == {"shop.models.AuditMixin", "shop.models.Product"}
    product = index.models["shop.models.Product"]
    assert list(product.fields) == ["updated", "name"]
    assert not product.partial
    assert product.bases == ("shop.models.PriceMixin", "shop.models.AuditMixin")


def test_string_target_uses_app_label_from_apps_py(make_project):
    index = build_index(
        make_project(
            {
                "apps/__init__.py": "",
                "apps/store/__init__.py": "",
                "apps/store/apps.py": """
                    from django.apps import AppConfig

                    class StoreConfig(AppConfig):
                        name = "apps.store"
                """,
                "apps/store/models.py": """
                    from django.db import models

                    class Product(models.Model):
                        pass
                """,
                "apps/billing/__init__.py": "",
                "apps/billing/apps.py": """
                    from django.apps import AppConfig

                    class BillingConfig(AppConfig):
                        name = "apps.billing"
                        label = "invoices"
                """,
                "apps/billing/models.py": """
                    from django.db import models

                    class Invoice(models.Model):
                        product = models.ForeignKey("store.Product", on_delete=models.CASCADE)

                    class Line(models.Model):
                        invoice = models.ForeignKey("invoices.Invoice", on_delete=models.CASCADE)
                        same_app = models.ForeignKey("Invoice", on_delete=models.CASCADE, related_name="+")

                        class Meta:
                            app_label = "lines"
                """,
            }
        )
    )
    assert index.app_labels == {"store": "apps.store", "invoices": "apps.billing"}
    invoice = index.models["apps.billing.models.Invoice"]
    assert invoice.label == "invoices.Invoice"
    assert invoice.fields["product"].target == "apps.store.models.Product"
    line = index.models["apps.billing.models.Line"]
    assert line.app_label == "lines"
    assert line.fields["invoice"].target == "apps.billing.models.Invoice"
    # a bare name means a model of the same app label (Meta.app_label here), and there is none
    assert line.fields["same_app"].target is None


def test_unresolvable_target_is_none(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": """
                    from django.db import models
                    from elsewhere import TARGET

                    class Product(models.Model):
                        maker = models.ForeignKey("nowhere.Maker", on_delete=models.CASCADE)
                        other = models.ForeignKey(TARGET, on_delete=models.CASCADE)
                """,
            }
        )
    )
    product = index.models["shop.models.Product"]
    assert (product.fields["maker"].relation, product.fields["maker"].target) == ("fk", None)
    assert (product.fields["other"].relation, product.fields["other"].target) == ("fk", None)


def test_managers(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/managers.py": """
                    from django.db import models


                    class ProductQuerySet(models.QuerySet):
                        def live(self):
                            return self.filter(live=True)


                    class ProductManager(models.Manager):
                        pass
                """,
                "shop/models.py": """
                    from django.db import models

                    from .managers import ProductManager, ProductQuerySet


                    class Base(models.Model):
                        everything = models.Manager()

                        class Meta:
                            abstract = True


                    class Product(Base):
                        objects = ProductQuerySet.as_manager()
                        live = models.Manager.from_queryset(ProductQuerySet)()
                        custom = ProductManager.from_queryset(ProductQuerySet)()
                        plain = ProductManager()
                """,
            }
        )
    )
    product = index.models["shop.models.Product"]
    qs = "shop.managers.ProductQuerySet"
    manager = "shop.managers.ProductManager"
    assert dict(product.managers) == {
        "everything": ManagerFact("everything", None, None, 7),
        "objects": ManagerFact("objects", None, qs, 14),
        "live": ManagerFact("live", None, qs, 15),
        "custom": ManagerFact("custom", manager, qs, 16),
        "plain": ManagerFact("plain", manager, None, 17),
    }
    assert set(index.models) == {"shop.models.Base", "shop.models.Product"}
    assert product.fields == {}


def test_model_meta_flags_and_location(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": """
                    from django.db import models


                    class Product(models.Model):
                        name = models.CharField(max_length=20)


                    class Special(Product):
                        class Meta:
                            proxy = True
                """,
            }
        )
    )
    special = index.models["shop.models.Special"]
    assert special.proxy and not special.abstract
    assert (special.path, special.line, special.module, special.name) == ("shop/models.py", 8, "shop.models", "Special")
    assert list(special.fields) == ["name"]
    # the Meta class is never a model
    assert "shop.models.Special.Meta" not in index.models


def test_fields_on_a_plain_python_mixin_are_not_model_fields(make_project):
    # Django only collects fields from model classes; a Field on a plain mixin is a class attribute
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": """
                    from django.db import models


                    class SlugMixin(object):
                        slug = models.SlugField()
                        maker = models.ForeignKey("Maker", on_delete=models.CASCADE)


                    class Maker(models.Model):
                        pass


                    class Product(SlugMixin, models.Model):
                        name = models.CharField(max_length=20)
                """,
            }
        )
    )
    assert set(index.models) == {"shop.models.Maker", "shop.models.Product"}
    assert list(index.models["shop.models.Product"].fields) == ["name"]
    assert dict(index.models["shop.models.Maker"].reverse) == {}


def test_third_party_model_base_with_django_fields_is_a_partial_model(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": """
                    from django.db import models
                    from mptt.models import MPTTModel, TreeForeignKey


                    class Category(MPTTModel):
                        name = models.CharField(max_length=20)
                        parent = TreeForeignKey("self", null=True, on_delete=models.CASCADE, related_name="children")
                """,
            }
        )
    )
    category = index.models["shop.models.Category"]
    assert category.partial
    assert category.fields["parent"].relation == "fk"
    assert category.fields["parent"].target == "shop.models.Category"
    assert set(category.reverse) == {"children"}


def test_concrete_and_proxy_children_add_no_reverse_accessors(make_project):
    # Django: fields inherited from a concrete parent (multi-table or proxy) stay the parent's;
    # only abstract bases copy their fields, and so their reverse accessors, into each child
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": """
                    from django.db import models


                    class Maker(models.Model):
                        pass


                    class Product(models.Model):
                        maker = models.ForeignKey(Maker, on_delete=models.CASCADE)


                    class Book(Product):
                        isbn = models.CharField(max_length=13)


                    class Cheap(Product):
                        class Meta:
                            proxy = True
                """,
            }
        )
    )
    assert list(index.models["shop.models.Book"].fields) == ["maker", "isbn"]
    assert index.models["shop.models.Book"].fields["maker"].model == "shop.models.Product"
    assert list(index.models["shop.models.Maker"].reverse) == ["product_set"]


def test_models_re_exported_with_a_star_import(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models/__init__.py": "from .product import *\nfrom .maker import *\n",
                "shop/models/maker.py": """
                    from django.db import models

                    class Maker(models.Model):
                        pass
                """,
                "shop/models/product.py": """
                    from django.db import models

                    class Product(models.Model):
                        maker = models.ForeignKey("Maker", on_delete=models.CASCADE, related_name="products")
                """,
                "orders/__init__.py": "",
                "orders/models.py": """
                    from django.db import models
                    from shop.models import Product, Maker

                    class Order(models.Model):
                        product = models.ForeignKey(Product, on_delete=models.CASCADE)
                        maker = models.ForeignKey(Maker, on_delete=models.CASCADE)
                """,
            }
        )
    )
    product = index.models["shop.models.product.Product"]
    assert product.app_label == "shop"
    assert product.fields["maker"].target == "shop.models.maker.Maker"
    order = index.models["orders.models.Order"]
    assert order.fields["product"].target == "shop.models.product.Product"
    assert order.fields["maker"].target == "shop.models.maker.Maker"
    assert set(index.models["shop.models.maker.Maker"].reverse) == {"products", "order_set"}


USER_FK = {
    "accounts/__init__.py": "",
    "accounts/models.py": """
        from django.conf import settings
        from django.contrib.auth.models import AbstractUser
        from django.db import models


        class User(AbstractUser):
            pass


        class Profile(models.Model):
            user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    """,
    "config/__init__.py": "",
    "config/settings/__init__.py": "",
    "config/settings/base.py": 'AUTH_USER_MODEL = "accounts.User"\n',
    "config/settings/dev.py": "from .base import *\nDEBUG = True\n",
    "config/settings/prod.py": "from .base import *\nDEBUG = False\n",
}


def test_user_model_when_no_settings_module_is_in_force_but_all_agree(make_project):
    index = build_index(make_project(USER_FK))
    assert index.settings is None
    assert index.models["accounts.models.Profile"].fields["user"].target == "accounts.models.User"
    assert list(index.models["accounts.models.User"].reverse) == ["profile"]


def test_user_model_when_no_settings_module_is_in_force_and_they_differ(make_project):
    files = dict(USER_FK)
    files["config/settings/prod.py"] = 'from .base import *\nAUTH_USER_MODEL = "auth.User"\n'
    index = build_index(make_project(files))
    assert index.settings is None
    assert index.models["accounts.models.Profile"].fields["user"].target is None


def test_symmetrical_many_to_many_to_self_has_no_reverse_accessor(make_project):
    index = build_index(
        make_project(
            {
                "people/__init__.py": "",
                "people/models.py": """
                    from django.db import models

                    class Person(models.Model):
                        friends = models.ManyToManyField("self")
                        follows = models.ManyToManyField("self", symmetrical=False, related_name="followers")
                        blocked = models.ManyToManyField("Person", symmetrical=False)
                """,
            }
        )
    )
    person = index.models["people.models.Person"]
    assert person.fields["friends"].target == "people.models.Person"
    assert person.fields["friends"].related_name == "friends_rel_+"
    assert set(person.reverse) == {"followers", "person_set"}
    assert person.reverse["person_set"].name == "blocked"


def test_manager_class_built_from_a_queryset(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": """
                    from django.db import models


                    class ProductQuerySet(models.QuerySet):
                        pass


                    class ProductManager(models.Manager.from_queryset(ProductQuerySet)):
                        pass


                    class SpecialManager(ProductManager):
                        pass


                    class Product(models.Model):
                        objects = ProductManager()
                        special = SpecialManager()
                """,
            }
        )
    )
    managers = index.models["shop.models.Product"].managers
    qs = "shop.models.ProductQuerySet"
    assert managers["objects"] == ManagerFact("objects", "shop.models.ProductManager", qs, 17)
    assert managers["special"] == ManagerFact("special", "shop.models.SpecialManager", qs, 18)
