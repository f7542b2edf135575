import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '../shared/auth/auth-user';
import { AuthService } from './auth.service';
import { CurrentUser, Public } from '../shared/auth/decorators';
import { LoginDto, MeResponse, TokenResponse } from './login.dto';
import { LoginRateLimited } from '../rate-limit/rate-limit.decorators';
import { JsonBodyLimit } from '../shared/http/json-body.guard';

/** An email (254) and a password (1024 characters, each at most 6 bytes as a JSON escape) fit; nothing much bigger is read before the password check. */
const LOGIN_BODY_LIMIT_BYTES = 8 * 1024;

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @LoginRateLimited()
  @JsonBodyLimit(LOGIN_BODY_LIMIT_BYTES)
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange email and password for a bearer token' })
  @ApiOkResponse({ type: TokenResponse })
  login(@Body() body: LoginDto): Promise<TokenResponse> {
    return this.auth.login(body.email, body.password);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOkResponse({ type: MeResponse })
  me(@CurrentUser() user: AuthUser): MeResponse {
    return { id: user.id, email: user.email, role: user.role, organizationId: user.organizationId };
  }
}
